"""Project settings at the repo root, imported by stages that run from src/pkg."""

MODEL_DIR = "model"
