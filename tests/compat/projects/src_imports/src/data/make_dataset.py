import sys

from src.utils import read_rows, write_rows

rows = read_rows(sys.argv[1])
clean = [{**r, "brand": r["name"].split()[0]} for r in rows if int(r["km_driven"]) > 0]
write_rows(sys.argv[2], clean)
