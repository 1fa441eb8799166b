n       = 3
keys    = ["y", "z"]
trigger = "t2"
payload = "p2"
