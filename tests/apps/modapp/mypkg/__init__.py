GREETING = "hello from mypkg"
