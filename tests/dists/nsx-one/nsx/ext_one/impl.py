WHAT = "extension one"
