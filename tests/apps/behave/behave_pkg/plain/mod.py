WHERE = "an __init__-less subpackage"
