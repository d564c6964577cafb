"""Prune a trained model with logprune, check its accuracy, save, load and verify the ticket.
numpy only: the model is a small MLP trained here by plain gradient descent; with PyTorch,
pass the nn.Sequential itself to logprune.prune and use ticket.to_torch()."""

import os
import sys
import tempfile

import numpy as np

import logprune

# 1. A trained model: a 2-16-2 ReLU network classifying two interleaved half-moons, as the
#    state_dict of nn.Sequential(Linear(2, 16), ReLU(), Linear(16, 2)).
rng = np.random.default_rng(0)
n = 400
angle = rng.uniform(0, np.pi, n)
label = rng.integers(0, 2, n)
x = np.stack([np.cos(angle) - label, np.sin(angle) * (1 - 2 * label) + 0.3 * label], axis=1)
x += rng.normal(0, 0.1, x.shape)
x = (x - x.min(0)) / (x.max(0) - x.min(0))  # inputs in [0, 1]²
w1, b1 = rng.normal(0, 1, (16, 2)), np.zeros(16)
w2, b2 = rng.normal(0, 0.25, (2, 16)), np.zeros(2)
for step in range(1500):
    h = np.maximum(x @ w1.T + b1, 0)
    logits = h @ w2.T + b2
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    g = (p - np.eye(2)[label]) / n  # cross-entropy gradient
    gh = (g @ w2) * (h > 0)
    w2 -= 0.5 * g.T @ h
    b2 -= 0.5 * g.sum(0)
    w1 -= 0.5 * gh.T @ x
    b1 -= 0.5 * gh.sum(0)
model = {"0.weight": w1, "0.bias": b1, "2.weight": w2, "2.bias": b2}
accuracy = np.mean((np.maximum(x @ w1.T + b1, 0) @ w2.T + b2).argmax(1) == label)
print(f"trained model: {accuracy:.1%} accuracy")

# 2. Prune: Ĝ certified within ε = 0.01 of the model on the box [0, 1]².
ticket = logprune.prune(model, eps=0.01, input_box=(0.0, 1.0), progress=False)
r = ticket.report
print(f"G: {r['widths']} neurons; Ĝ keeps {r['kept_neurons']}")
print(f"certified sup ‖F − Ĝ‖₂ ≤ {r['certified_bound']:.2e}, measured {r['empirical_max_error']:.2e}")
assert r["certified_bound"] <= 0.01

# 3. Check accuracy: Ĝ classifies like the model.
f = logprune.target(model).forward(x)
g = ticket.forward(x)
assert np.linalg.norm(f - g, axis=1).max() <= r["certified_bound"]
agree = np.mean(f.argmax(1) == g.argmax(1))
print(f"Ĝ: {np.mean(g.argmax(1) == label):.1%} accuracy, same class as the model on {agree:.1%}")

# 4. Save and load (ticket.safetensors and report.json, as `logprune prune` writes them).
out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
ticket.save(os.path.join(out, "ticket.safetensors"), report=os.path.join(out, "report.json"))
loaded = logprune.Ticket.load(
    os.path.join(out, "ticket.safetensors"), report=os.path.join(out, "report.json")
)
assert np.array_equal(loaded.forward(x), g)

# 5. Verify: every kept weight re-derived from G's seed, the certificate recomputed, and
#    the report compared field by field.
checked = loaded.verify(model, input_box=(0.0, 1.0), progress=False)
print(f"verified: {checked['weights_verified']} kept weights re-derived from G")
