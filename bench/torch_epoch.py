"""PyTorch float64, 1 thread: the report's workload, for bench/epoch.ts (prints one JSON line).

usage: python3 bench/torch_epoch.py <data dir> <epochs> <layer widths, e.g. 100,100,10>
Each step gathers its batch from the bytes (pixels / 255), runs forward, softmax cross-entropy,
backward and the SGD step with the L1 max-column subgradient (lambda 1e-4, lr 0.05).
"""
import gzip, json, sys, time
import numpy as np
import torch

torch.set_num_threads(1)
torch.manual_seed(0)
data_dir, epochs, widths = sys.argv[1], int(sys.argv[2]), [int(w) for w in sys.argv[3].split(",")]

def idx(name):
    with gzip.open(f"{data_dir}/{name}", "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape[0], -1)

x_train, y_train = idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz").ravel()
x_test, y_test = idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz").ravel()
sizes = [x_train.shape[1]] + widths
params = []
for i, o in zip(sizes, sizes[1:]):
    params += [(torch.randn(i, o, dtype=torch.float64) * 0.1).requires_grad_(),
               torch.zeros(1, o, dtype=torch.float64, requires_grad=True)]

def forward(x):
    h = x
    for l in range(0, len(params), 2):
        h = h @ params[l] + params[l + 1]
        if l + 2 < len(params):
            h = torch.relu(h)
    return h

def step(rows):
    x = torch.from_numpy(x_train[rows]).double() / 255
    y = torch.from_numpy(y_train[rows].astype(np.int64))
    loss = torch.nn.functional.cross_entropy(forward(x), y)
    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in params:
            if p.shape[0] == 1:
                sub = torch.sign(p)
            else:
                sub = torch.zeros_like(p)
                j = int(torch.argmax(p.abs().sum(0)))
                sub[:, j] = torch.sign(p[:, j])
            p -= 0.05 * (p.grad + 1e-4 * sub)

rng = np.random.default_rng(0)
batches = lambda: rng.permutation(x_train.shape[0])[: x_train.shape[0] // 50 * 50].reshape(-1, 50)
for rows in batches()[:100]:
    step(rows)  # warm-up
seconds = []
for _ in range(epochs):
    start = time.perf_counter()
    for rows in batches():
        step(rows)
    seconds.append(time.perf_counter() - start)
start = time.perf_counter()
with torch.no_grad():
    correct = 0
    for x, y in ((x_train, y_train), (x_test, y_test)):
        for s in range(0, x.shape[0], 1000):
            pred = forward(torch.from_numpy(x[s:s + 1000]).double() / 255).argmax(1).numpy()
            if x is x_test:
                correct += int((pred == y[s:s + 1000]).sum())
eval_seconds = time.perf_counter() - start
print(json.dumps({"torch": torch.__version__, "secondsPerEpoch": seconds, "evalSeconds": eval_seconds,
                  "testTop1": correct / x_test.shape[0]}))
