import tkinter
from tkinter import ttk

root = tkinter.Tk()
ttk.Label(root, text="frozen").pack()
var = tkinter.StringVar(value="x")
ttk.Entry(root, textvariable=var).pack()
root.update()
print(root.tk.eval("info tclversion"), ttk.Style().theme_use(), var.get())
print(root.tk.eval("clock format 0 -gmt 1 -format %Y"))
root.destroy()
