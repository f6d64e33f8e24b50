NAME = "dark style"
