"""The procedures casework runs, one package per workflow (see ``casework.engine.packages``)."""
