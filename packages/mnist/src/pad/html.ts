/** The digit pad's page: a 280 × 280 pad, the 28 × 28 input, the prediction and ten probabilities. */
export const padHtml = (title: string): string => {
  const rows = Array.from(
    { length: 10 },
    (_, k) =>
      `<tr><th>${k}</th><td class="track"><div class="bar" data-testid="bar-${k}"></div></td><td data-testid="prob-${k}">0.000</td></tr>`,
  ).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>difftape digit pad</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 2em; color: #222; }
main { display: flex; gap: 2em; flex-wrap: wrap; align-items: flex-start; }
canvas[data-testid="pad"] { width: 280px; height: 280px; background: black; touch-action: none; cursor: crosshair; border: 1px solid #999; }
canvas[data-testid="preview"] { width: 112px; height: 112px; image-rendering: pixelated; border: 1px solid #999; }
.prediction { font-size: 64px; font-weight: bold; margin: 0.1em 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
td, th { padding: 2px 6px; }
.track { width: 200px; background: #eee; }
.bar { height: 12px; background: #4c78a8; width: 0; }
button { font-size: 16px; padding: 0.3em 1em; margin-top: 0.5em; }
</style>
</head>
<body>
<h1>Digit pad</h1>
<p data-testid="status">loading the model…</p>
<p>Model: <code>${title.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</code>. It runs in this page (difftape, bundled).</p>
<main>
<div>
<canvas data-testid="pad" width="280" height="280"></canvas><br>
<button type="button" data-testid="clear">clear</button>
</div>
<div>
<div>The model sees (28 × 28):</div>
<canvas data-testid="preview" width="28" height="28"></canvas>
<div>Prediction:</div>
<div class="prediction" data-testid="prediction">–</div>
</div>
<table>
<thead><tr><th>digit</th><th></th><th>probability</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</main>
<script type="module" src="pad.js"></script>
</body>
</html>
`;
};
