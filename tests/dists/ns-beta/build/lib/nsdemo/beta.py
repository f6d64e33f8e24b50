def hello():
    return "hello from beta"
