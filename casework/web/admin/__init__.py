"""Administration: organisation units, accounts and their roles, the member register, imports."""
