"""mytool: a console-script test project."""
