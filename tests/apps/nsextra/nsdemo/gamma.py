def hello():
    return "hello from gamma (another directory)"
