"""With torch: Ticket.to_torch against Ticket.forward, and prune(module) against
prune(state_dict). Skipped (with the reason) when torch is not installed."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: the torch tests are skipped")

import logprune  # noqa: E402


def model(widths, act=torch.nn.ReLU, seed=0):
    torch.manual_seed(seed)
    layers = []
    for k, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(torch.nn.Linear(a, b))
        if k + 2 < len(widths):
            layers.append(act())
    return torch.nn.Sequential(*layers)


@pytest.fixture(scope="module")
def pair():
    m = model([6, 10, 4], seed=1)
    return m, logprune.prune(m, eps=0.02, input_box=(0.0, 1.0), progress=False)


def test_prune_module_equals_prune_state_dict(pair):
    m, t = pair
    sd = {k: v.detach().numpy() for k, v in m.state_dict().items()}
    assert logprune.prune(sd, eps=0.02, input_box=(0.0, 1.0), progress=False).to_bytes() == t.to_bytes()


def test_prune_module_reads_its_activations():
    m = model([4, 5, 3], act=torch.nn.Tanh, seed=2)
    t = logprune.prune(m, eps=0.05, progress=False)
    assert t.spec["activations"] == ["tanh", "identity"]
    sd = {k: v.detach().numpy() for k, v in m.state_dict().items()}
    same = logprune.prune(sd, eps=0.05, hidden_activation="tanh", progress=False)
    assert same.to_bytes() == t.to_bytes()
    with pytest.raises(ValueError, match="^hidden_activation"):
        logprune.prune(m, eps=0.05, hidden_activation="relu", progress=False)
    with pytest.raises(ValueError, match="^target"):
        logprune.prune(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 1)), eps=0.05, progress=False)


def test_to_torch_matches_forward(pair):
    m, t = pair
    x = np.random.default_rng(0).uniform(0, 1, (300, 6))
    want = t.forward(x)
    g64 = t.to_torch(dtype=torch.float64)
    got64 = g64(torch.from_numpy(x)).detach().numpy()
    rel64 = np.abs(got64 - want).max() / max(1.0, np.abs(want).max())
    g32 = t.to_torch()
    got32 = g32(torch.from_numpy(x).float()).detach().numpy()
    rel32 = np.abs(got32 - want).max() / max(1.0, np.abs(want).max())
    print(f"to_torch vs forward: float64 {rel64:.2e}, float32 {rel32:.2e} (relative, 300 inputs)")
    assert rel64 <= 1e-12
    assert rel32 <= 1e-5
    # Ĝ in torch is within ε of the model itself.
    with torch.no_grad():
        f = m.double()(torch.from_numpy(x)).numpy()
    m.float()
    assert np.linalg.norm(f - got64, axis=1).max() <= t.report["certified_bound"]


def test_to_torch_with_other_activations():
    m = model([3, 4, 4, 2], act=lambda: torch.nn.LeakyReLU(0.1), seed=3)
    t = logprune.prune(m, eps=0.05, progress=False)
    x = np.random.default_rng(1).uniform(-1, 1, (50, 3))
    got = t.to_torch(dtype=torch.float64)(torch.from_numpy(x)).numpy()
    assert np.abs(got - t.forward(x)).max() <= 1e-12


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_to_torch_on_cuda(pair):
    _, t = pair
    x = np.random.default_rng(2).uniform(0, 1, (100, 6))
    g = t.to_torch(dtype=torch.float64, device="cuda")
    got = g(torch.from_numpy(x).cuda()).cpu().numpy()
    assert np.abs(got - t.forward(x)).max() <= 1e-12 * max(1.0, np.abs(got).max())


def test_a_cnn_module_is_read_through_an_onnx_export(tmp_path):
    torch.manual_seed(4)
    cnn = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(2 * 4 * 4, 3)
    )
    with pytest.raises(ValueError, match="input_shape"):
        logprune.prune(cnn, eps=0.01, progress=False)
    t = logprune.prune(cnn, eps=0.01, input_box=(0.0, 1.0), input_shape=(1, 6, 6), progress=False)
    assert t.is_graph and cnn.training  # the module's mode is restored
    path = tmp_path / "cnn.onnx"
    torch.onnx.export(
        cnn.eval(), torch.zeros(1, 1, 6, 6), str(path), dynamo=False, input_names=["input"],
        output_names=["output"], dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
    )
    assert logprune.prune(path, eps=0.01, input_box=(0.0, 1.0), progress=False).to_bytes() == t.to_bytes()
    x = np.random.default_rng(5).uniform(0, 1, (16, 36))
    with torch.no_grad():
        f = cnn.double()(torch.from_numpy(x).reshape(16, 1, 6, 6)).numpy()
    assert np.linalg.norm(f - t.forward(x), axis=1).max() <= t.report["certified_bound"] <= 0.01
    t.verify(cnn.float(), input_box=(0.0, 1.0), input_shape=(1, 6, 6), progress=False)
