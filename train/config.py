"""Every knob of a training run in one object, written whole into report.json and, by export,
into the ONNX metadata, so a reader of models/ can tell how the model was made.

    >>> config = TrainConfig(epochs=16, seed=1)
    >>> asdict(config)["augmentation"]["pen_share"]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from train.augment import AUGMENTATION, Augmentation

CONVOLUTIONS = 5  # in each member (train/model.py)
FILTERS = (16, 32, 32, 48, 48)  # their widths: 28x28, 14x14 twice, 7x7 twice


def check_filters(filters) -> tuple[int, ...]:
    """Each member's convolution widths as a tuple; ValueError unless CONVOLUTIONS positive counts."""
    filters = tuple(filters)
    if len(filters) != CONVOLUTIONS or min(filters) < 1:
        raise ValueError(f"filters are {CONVOLUTIONS} positive counts, one per convolution; got {filters}")
    return filters


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 16
    batch_size: int = 128
    learning_rate: float = 2e-3  # peak, after one epoch of warm-up from a tenth of it
    warmup_epochs: int = 1
    final_lr_fraction: float = 0.01  # the cosine decay ends at this fraction of the peak
    fine_tune_lr_factor: float = 0.2  # --fine-tune starts from the model and learns more gently
    copies: int = 3  # augmented copies of each training digit
    seed: int = 1
    members: int = 3  # small CNNs averaged in one model (train/model.py)
    filters: tuple[int, ...] = FILTERS  # each member's five convolutions (train/model.py)
    shift: int = 1  # each epoch every view is shifted by up to this many pixels
    not_digit_output: bool = False  # not-digits as an eleventh output folded into the ten (train/model.py), not all ten alike: run K, not kept
    teacher: bool = False  # MNIST's targets mixed with the MNIST-only model's answers (train/teacher.py)
    teacher_share: float = 0.5  # the teacher's part in those targets
    teacher_temperature: float = 1.0  # its answers softened (softmax of logits / T)
    mnist_weight: float = 1.0  # loss weight of MNIST's digits against the other examples (their mean weight stays 1)
    junk_share: float = 0.05  # drawings that are not a digit
    junk_pool: int = 20000  # of them made once per run
    pair_share: float = 0.04  # two touching training digits (train/pairs.py), taught as not-digits
    pair_pool: int = 20000  # of them made once per run
    fonts: bool = True  # digits, letters and signs drawn from the pinned fonts (train/font_data.py)
    font_share: float = 0.15  # font digits and letterforms, as a share of each epoch
    letter_share: float = 0.05  # font letters and signs, taught as not-digits
    extra_share: float = 0.05  # users' drawings are oversampled to this share of each epoch
    extra_holdout: float = 0.2  # share of users' drawings kept aside to measure accuracy on them
    ema_momentum: float = 0.999  # the weights are an exponential moving average over training
    ema_min_steps: int = 5000  # 0.999 ** 5000 < 1 %: shorter runs use the plain weights
    max_mnist_drop: float = 0.001  # refuse to replace a model that loses more on MNIST test
    fine_tune: bool = False
    quick: bool = False  # a small subset, for tests
    quick_digits: int = 2000
    quick_test_digits: int = 1000
    quick_junk: int = 500
    augmentation: Augmentation = field(default_factory=lambda: AUGMENTATION)

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.copies < 0 or self.members < 1 or self.mnist_weight <= 0 or not 0 <= self.teacher_share <= 1 or self.teacher_temperature <= 0:
            raise ValueError(
                f"epochs, batch size, members and the MNIST weight must be positive, copies zero or more and the teacher's share "
                f"0..1 and its temperature positive, got epochs={self.epochs}, batch_size={self.batch_size}, copies={self.copies}, members={self.members}, "
                f"mnist_weight={self.mnist_weight}, teacher_share={self.teacher_share}, teacher_temperature={self.teacher_temperature}"
            )
        shares = {name: getattr(self, name) for name in ("junk_share", "pair_share", "font_share", "letter_share", "extra_share")}
        if any(share < 0 for share in shares.values()):  # each as many examples as this share of MNIST's digits
            raise ValueError(f"the shares of an epoch cannot be negative, got {shares}")
        check_filters(self.filters)

    def as_dict(self) -> dict:
        return asdict(self)
