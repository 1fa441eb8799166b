trigger = "t2"
enabled = false
payload = "p2"
