# python-dateutil: parser, relativedelta, rrule, and tz with its bundled
# zoneinfo tarball (dateutil.zoneinfo reads dateutil-zoneinfo.tar.gz).
import datetime
from dateutil import parser, tz, rrule
from dateutil.relativedelta import relativedelta, FR
from dateutil.zoneinfo import get_zonefile_instance, gettz as zgettz
from dateutil.easter import easter

print(parser.parse("Sat Oct 11 17:13:46 UTC 2003"))
print(parser.parse("2024-02-29T12:30:00+05:30").utcoffset())
print(parser.isoparse("2021-W01-1"))
d = datetime.date(2024, 1, 31)
print(d + relativedelta(months=+1), d + relativedelta(weekday=FR(-1), day=31))
rr = rrule.rrule(rrule.WEEKLY, count=4, byweekday=(rrule.MO, rrule.TH),
                 dtstart=datetime.datetime(2024, 1, 1))
print([x.strftime("%a %d") for x in rr])
print(rrule.rrulestr("FREQ=DAILY;INTERVAL=10;COUNT=3", dtstart=datetime.datetime(2020, 1, 1))[2])
z = zgettz("Europe/Paris")
print(datetime.datetime(2024, 7, 1, 12, tzinfo=z).utcoffset(), z is not None)
zi = get_zonefile_instance()
print(len(zi.zones) > 300, "America/New_York" in zi.zones)
print(datetime.datetime(2024, 1, 1, tzinfo=tz.UTC).astimezone(tz.tzoffset("X", 3600)))
print(easter(2025))
