/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The info string after the opening fence, e.g. `ts` or `sh`. */
  readonly lang: string;
  /** The block's text, ending in a newline. */
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The last non-blank line before the fence: what introduces the block. */
  readonly intro: string;
}

/** The fenced (```) code blocks of a Markdown text, in order. */
export const codeBlocks = (markdown: string): CodeBlock[] => {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end < 0) throw new Error(`line ${i + 1}: a code block that never closes`);
    const intro = [...lines.slice(0, i)].reverse().find((l) => l.trim() !== '') ?? '';
    blocks.push({
      lang: open[1]!,
      code: `${lines.slice(i + 1, end).join('\n')}\n`,
      line: i + 1,
      intro,
    });
    i = end;
  }
  return blocks;
};

/** The targets of a Markdown text's inline links and images, `[text](target)`, in order. */
export const linkTargets = (markdown: string): string[] => {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
};
