import argparse
import csv
import os
import random

from get_data import read_params


def split_and_save(config_path: str) -> None:
    config = read_params(config_path)
    split = config["split_data"]
    with open(config["load_data"]["raw_dataset_csv"], newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    random.Random(config["base"]["random_state"]).shuffle(body)
    cut = round(len(body) * split["test_size"])
    for path, part in ((split["test_path"], body[:cut]), (split["train_path"], body[cut:])):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", newline="") as f:
            csv.writer(f).writerows([header, *part])


if __name__ == "__main__":
    args = argparse.ArgumentParser()
    args.add_argument("--config", default="params.yaml")
    split_and_save(config_path=args.parse_args().config)
