# tzdata: zoneinfo reading the IANA database from the tzdata package
# (importlib.resources) instead of the system's /usr/share/zoneinfo.
import datetime, zoneinfo, importlib.resources
zoneinfo.reset_tzpath(to=[])
for name in ("Europe/Berlin", "America/Sao_Paulo", "Asia/Tokyo", "Pacific/Chatham"):
    z = zoneinfo.ZoneInfo(name)
    print(name, datetime.datetime(2024, 1, 15, 12, tzinfo=z).utcoffset(), datetime.datetime(2024, 7, 15, 12, tzinfo=z).tzname())
print(len(zoneinfo.available_timezones()) > 400)
import tzdata
print(tzdata.IANA_VERSION, importlib.resources.files("tzdata.zoneinfo").joinpath("UTC").read_bytes()[:4])
