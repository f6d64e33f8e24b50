# platformdirs: per-user/site dirs from XDG variables set by the app.
import os
os.environ.update({"XDG_DATA_HOME": "/xdg/data", "XDG_CONFIG_HOME": "/xdg/config",
                   "XDG_CACHE_HOME": "/xdg/cache", "XDG_STATE_HOME": "/xdg/state",
                   "XDG_RUNTIME_DIR": "/xdg/run", "XDG_CONFIG_DIRS": "/etc/xdg:/opt/xdg"})
import platformdirs
from platformdirs import PlatformDirs
d = PlatformDirs("MyApp", "Acme", version="1.0")
for attr in ("user_data_dir", "user_config_dir", "user_cache_dir", "user_state_dir",
             "user_log_dir", "user_runtime_dir", "site_config_dir", "site_data_dir"):
    print(attr, getattr(d, attr))
print(platformdirs.user_cache_path("tool").as_posix(), type(d).__name__)
print(PlatformDirs("A", multipath=True).site_config_dir)
