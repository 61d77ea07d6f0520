"""Home: the inbox of open tasks for every role the person holds."""
