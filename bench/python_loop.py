#!/usr/bin/python3
"""Train the Multi-Fashion model with a plain PyTorch loop and report training throughput.

The loop mirrors the engine's training loop for projects/multi-fashion.mtlw with method "ew".
It holds 54000 float32 samples of shape 1x36x36 in memory and draws each batch with
index_select from a seeded randperm per epoch. It trains the same CNN with two 10-class heads
on the sum of the two cross-entropy losses, with Adam at lr 1e-3, and keeps running loss and
accuracy sums as tensors.
The inputs and labels are random, because throughput does not depend on their values.

Prints one JSON object: samples_per_second is the number of training samples divided by the
seconds spent in the training loops, the same quantity `mtlw train --json` reports.
"""

import argparse
import json
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SAMPLES = 54000
IMAGE_SIZE = 36
CLASSES = 10


class MultiFashionNet(nn.Module):
    """Conv 10ch 5x5, conv 20ch 5x5 (each with ReLU and 2x2 max pooling), linear 720->128, two heads."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.conv2 = nn.Conv2d(10, 20, 5)
        self.shared_fc = nn.Linear(720, 128)
        self.left_head = nn.Linear(128, CLASSES)
        self.right_head = nn.Linear(128, CLASSES)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.shared_fc(torch.flatten(x, 1)))
        return self.left_head(x), self.right_head(x)


def train_epoch(model, optimizer, inputs, targets, batch_size, seed, epoch):
    """Run one training epoch and return the seconds spent in the loop."""
    count = inputs.size(0)
    generator = torch.Generator().manual_seed(seed * 1000003 + epoch)
    order = torch.randperm(count, generator=generator)
    loss_sums = [torch.zeros(()) for _ in targets]
    correct = [torch.zeros((), dtype=torch.long) for _ in targets]

    model.train()
    start = time.perf_counter()
    for begin in range(0, count, batch_size):
        indices = order[begin:begin + batch_size]
        batch_inputs = inputs.index_select(0, indices)
        batch_targets = [target.index_select(0, indices) for target in targets]
        outputs = model(batch_inputs)
        losses = [F.cross_entropy(output, target) for output, target in zip(outputs, batch_targets)]

        optimizer.zero_grad()
        torch.stack(losses).sum().backward()
        optimizer.step()

        with torch.no_grad():
            for t, (output, target, loss) in enumerate(zip(outputs, batch_targets, losses)):
                loss_sums[t] += loss.detach() * target.size(0)
                correct[t] += output.argmax(1).eq(target).sum()
    seconds = time.perf_counter() - start

    # Read the sums once per epoch, as the engine does.
    _ = [value.item() for value in loss_sums + correct]
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256, help="samples per training step")
    parser.add_argument("--epochs", type=int, default=1, help="training epochs to time")
    parser.add_argument("--seed", type=int, default=1, help="seed for weights, data and shuffling")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="intra-op threads (default: os.cpu_count())")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    inputs = torch.rand(SAMPLES, 1, IMAGE_SIZE, IMAGE_SIZE)
    targets = [torch.randint(0, CLASSES, (SAMPLES,)) for _ in range(2)]
    model = MultiFashionNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    train_seconds = 0.0
    epoch_seconds = []
    for epoch in range(1, args.epochs + 1):
        seconds = train_epoch(model, optimizer, inputs, targets, args.batch_size, args.seed, epoch)
        epoch_seconds.append(seconds)
        train_seconds += seconds

    print(json.dumps({
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "train_seconds": train_seconds,
        "epoch_seconds": epoch_seconds,
        "samples_per_second": SAMPLES * args.epochs / train_seconds,
    }))


if __name__ == "__main__":
    main()
