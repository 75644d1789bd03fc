"""Two small documents the API tests upload: one Japanese, one English."""

FESTIVAL_JA = (
    "みなと町の夏祭りは毎年8月の第一土曜日に開かれます。\n"
    "祭りでは約3200発の花火が打ち上げられます。\n"
    "会場の入場料は無料で、屋台は45店が並びます。\n"
)
LIBRARY_EN = (
    "The Riverside Library opened in 1987 and holds 48,000 books.\n"
    "It is open from 9 am to 8 pm on weekdays.\n"
)
