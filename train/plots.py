"""The confusion matrix of a run as a picture (`models/confusion.png`)."""

from __future__ import annotations

import numpy as np


def plot_confusion(confusion: np.ndarray, report: dict, path) -> None:
    """Write a PNG of `confusion` (true digit by row, predicted by column; mistakes in red)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5.4), dpi=100)
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    ax.imshow(off, cmap="Reds")
    for i in range(len(confusion)):
        for j in range(len(confusion)):
            if confusion[i, j]:
                ax.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=7,
                        color="black" if i != j else "green")
    ax.set_xticks(range(len(confusion)))
    ax.set_yticks(range(len(confusion)))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"MNIST test: {report['test_accuracy']:.2%} ({report['test_errors']} errors of {report['test_size']})")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
