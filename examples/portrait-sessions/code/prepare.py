"""Turns the session sheet into training captions.

Sessions are booked through the studio inbox (bookings@lumenfeld-studio.com).
"""

import csv
import sys


def captions(path):
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield row["file_name"], row["caption"]


if __name__ == "__main__":
    for name, caption in captions(sys.argv[1] if len(sys.argv) > 1 else "data/captions.csv"):
        print(f"{name}\t{caption}")
