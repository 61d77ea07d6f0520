"""The residential committee's inbox: only what verifying needs, and the reply."""
