def hello():
    return "hello from alpha"
