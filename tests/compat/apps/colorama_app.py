# colorama: ANSI codes, init/wrap on a non-tty stream (stripping), cursor.
import io, sys
import colorama
from colorama import Fore, Back, Style, Cursor, AnsiToWin32
print(repr(Fore.RED + "red" + Style.RESET_ALL), repr(Back.GREEN), repr(Cursor.UP(2)))
buf = io.StringIO()
w = AnsiToWin32(buf, strip=True)
w.write(Fore.BLUE + "stripped" + Style.RESET_ALL)
print(repr(buf.getvalue()), w.should_wrap())
colorama.just_fix_windows_console()
print(Style.BRIGHT + "bright" + Style.NORMAL)
