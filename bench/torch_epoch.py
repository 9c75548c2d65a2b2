"""PyTorch float64, 1 thread: bench/epoch.ts's workload on a JSON model spec (prints one JSON line).

usage: python3 bench/torch_epoch.py <data dir> <epochs> <model spec JSON>
In lockstep with bench/epoch.ts: after the warm-up it prints "ready", then runs one epoch (and at
the end the evaluation) each time a line arrives on stdin, printing {"seconds": s} after each, so
the two take turns on the machine instead of one running after the other.
The network is built from the same spec as difftape's modelFromSpec (dense, conv2d with padding
same/valid and stride, maxPool2d, avgPool2d, flatten, dropout, layerNorm, activations), NCHW
images, which flatten in difftape's channel-major (c, y, x) order. Each step gathers its batch from
the bytes (pixels / 255), runs forward, softmax cross-entropy, backward and the SGD step with the
L1 max-column subgradient (lambda 1e-4, lr 0.05) that bench/epoch.ts gives every model.
"""
import gzip, json, math, sys, time
import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
data_dir, epochs, spec = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
LR, LAMBDA, BATCH = 0.05, 1e-4, 50


def idx(name):
    with gzip.open(f"{data_dir}/{name}", "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


x_train, y_train = idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz")
x_test, y_test = idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz")
image = [1, *x_train.shape[1:]]
input_shape = spec.get("input", image)


def init(kind, fan_in, fan_out, shape):
    """difftape's initialisers (same distributions, not the same draws) on a (fan-in x fan-out) view."""
    if kind == "zeros":
        return torch.zeros(shape, dtype=torch.float64)
    if kind == "heNormal":
        return torch.randn(shape, dtype=torch.float64) * math.sqrt(2 / max(fan_in, 1))
    if isinstance(kind, dict):
        return torch.randn(shape, dtype=torch.float64) * kind["normal"]
    a = math.sqrt(6 / max(fan_in + fan_out, 1))  # glorotUniform, the default
    return (torch.rand(shape, dtype=torch.float64) * 2 - 1) * a


# Each parameter with its regulariser view: "bias" (sign of every entry) or a function giving
# the per-column sums of |W| of difftape's matrix layout, whose largest column gets sign(W).
params, views = [], []


def param(t, view):
    t.requires_grad_()
    params.append(t)
    views.append(view)
    return t


def dense_layer(units, shape, cfg):
    fan_in = math.prod(shape)
    W = param(init(cfg.get("init", "glorotUniform"), fan_in, units, (fan_in, units)), "columns")
    b = param(init(cfg.get("bias", "zeros"), 1, units, (1, units)), "bias")
    return (lambda h: torch.addmm(b, h.flatten(1), W)), [units]


def conv_layer(cfg, shape):
    c, h, w = shape
    f, k, stride = cfg["filters"], cfg["kernel"], cfg.get("stride", 1)
    # difftape's filters are (c, ky, kx) x f: column j is torch's weight[j]
    W = param(init(cfg.get("init", "glorotUniform"), c * k * k, f, (f, c, k, k)), "filters")
    b = param(init(cfg.get("bias", "zeros"), 1, f, (f,)), "bias")
    if cfg.get("padding", "valid") == "valid":
        pads, out = (0, 0, 0, 0), [(h - k) // stride + 1, (w - k) // stride + 1]
    else:  # ceil(size / stride) outputs, the odd padding row or column at the bottom or right
        out = [-(-h // stride), -(-w // stride)]
        th, tw = (max((o - 1) * stride + k - s, 0) for o, s in zip(out, (h, w)))
        pads = (tw // 2, tw - tw // 2, th // 2, th - th // 2)
    return (lambda x: F.conv2d(F.pad(x, pads), W, b, stride)), [f, *out]


def rowwise(fn):
    return lambda x: fn(x.flatten(1)).reshape(x.shape)


ACTIVATIONS = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softmax": rowwise(lambda h: torch.softmax(h, 1)),
    "logSoftmax": rowwise(lambda h: torch.log_softmax(h, 1)),
}


def build(spec):
    """The forward function of the spec's layers and its input shape per sample."""
    shape, fns = list(input_shape), []
    for layer in spec["layers"]:
        if isinstance(layer, str):
            if layer == "flatten":
                fns.append(lambda x: x.flatten(1))
                shape = [math.prod(shape)]
            else:
                fns.append(ACTIVATIONS[layer])
            continue
        (kind, cfg), = layer.items()
        if kind == "dense":
            fn, shape = dense_layer(cfg if isinstance(cfg, int) else cfg["units"], shape,
                                    {} if isinstance(cfg, int) else cfg)
        elif kind == "conv2d":
            fn, shape = conv_layer(cfg, shape)
        elif kind in ("maxPool2d", "avgPool2d"):
            pool = F.max_pool2d if kind == "maxPool2d" else F.avg_pool2d
            fn = (lambda pool, k: lambda x: pool(x, k, k))(pool, cfg)
            shape = [shape[0], shape[1] // cfg, shape[2] // cfg]
        elif kind == "dropout":
            fn = (lambda rate: lambda x: F.dropout(x, rate, training[0]))(cfg)
        elif kind == "layerNorm":
            n, dims = math.prod(shape), list(shape)
            scale = param(torch.ones(dims, dtype=torch.float64), "entries")
            bias = param(torch.zeros(dims, dtype=torch.float64), "entries")  # difftape's role: weight
            fn = (lambda dims, s, b, eps: lambda x: F.layer_norm(x, dims, s, b, eps))(
                dims, scale, bias, cfg.get("eps", 1e-5))
        else:
            raise ValueError(f"torch_epoch.py: unknown layer kind {kind!r}")
        fns.append(fn)

    def forward(x):
        h = x.reshape(x.shape[0], *input_shape)
        for fn in fns:
            h = fn(h)
        return h.flatten(1)

    return forward


training = [True]
forward = build(spec)


def column_sums(p, view):
    if view == "columns":
        return p.abs().sum(0)
    if view == "filters":
        return p.abs().flatten(1).sum(1)
    return p.abs().flatten()  # "entries": a 1 x n row, each entry its own column


def column(p, view, j):
    """A view of the entries of p's regulariser column j (the one with the largest L1 norm)."""
    if view == "columns":
        return p[:, j]
    if view == "filters":
        return p[j]
    return p.view(-1)[j:j + 1]


def batch_x(x):
    return torch.from_numpy(x.reshape(x.shape[0], -1)).double().div_(255)


def step(rows):
    x = batch_x(x_train[rows])
    y = torch.from_numpy(y_train[rows].astype(np.int64))
    loss = F.cross_entropy(forward(x), y)
    for p in params:
        p.grad = None
    loss.backward()
    # p - lr·(grad + λ·subgradient), in place as a PyTorch user writes it: the subgradient is
    # sign(p) on biases and sign of the largest-L1 column elsewhere, taken before the update
    with torch.no_grad():
        for p, view in zip(params, views):
            if view == "bias":
                s = torch.sign(p)
                p.add_(p.grad, alpha=-LR).add_(s, alpha=-LR * LAMBDA)
                continue
            col = column(p, view, int(torch.argmax(column_sums(p, view))))
            s = torch.sign(col)
            p.add_(p.grad, alpha=-LR)
            col.add_(s, alpha=-LR * LAMBDA)


rng = np.random.default_rng(0)
n = x_train.shape[0]
batches = lambda: rng.permutation(n)[: n // BATCH * BATCH].reshape(-1, BATCH)
for rows in batches()[:100]:
    step(rows)  # warm-up


def turn(seconds=None):
    """Reports the last turn's seconds (or "ready") and waits for the go of the next one."""
    print("ready" if seconds is None else json.dumps({"seconds": seconds}), flush=True)
    sys.stdin.readline()


turn()
seconds = []
for _ in range(epochs):
    start = time.perf_counter()
    for rows in batches():
        step(rows)
    seconds.append(time.perf_counter() - start)
    turn(seconds[-1])
start = time.perf_counter()
training[0] = False
with torch.no_grad():
    correct = 0
    for x, y in ((x_train, y_train), (x_test, y_test)):
        for s in range(0, x.shape[0], 1000):
            pred = forward(batch_x(x[s:s + 1000])).argmax(1).numpy()
            if x is x_test:
                correct += int((pred == y[s:s + 1000]).sum())
eval_seconds = time.perf_counter() - start
print(json.dumps({"torch": torch.__version__, "secondsPerEpoch": seconds, "evalSeconds": eval_seconds,
                  "testTop1": correct / x_test.shape[0]}))
