aws_region = "us-east-1"
project    = "orders"
