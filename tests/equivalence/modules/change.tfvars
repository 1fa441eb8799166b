names = ["acme", "initech"]
