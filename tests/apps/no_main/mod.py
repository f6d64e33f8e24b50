print("no main here")
