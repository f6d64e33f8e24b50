def hello():
    return "hello from plugdemo"
