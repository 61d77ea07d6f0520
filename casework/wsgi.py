"""The WSGI application `casework serve`'s workers load, each its own after the fork (its own engine, its own
database connections); any WSGI server can serve ``casework.wsgi:application`` the same way."""

from casework import create_app

application = create_app()
