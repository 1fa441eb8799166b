n     = 1
owner = "team-b"
