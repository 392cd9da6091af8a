import { useState } from 'react';

/** Renders a button that copies a value to the clipboard and reports the result in a live region. */
export function CopyButton({ value, label, testId }: { value: string; label: string; testId?: string }) {
  const [result, setResult] = useState('');

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setResult('Copied.');
    } catch {
      setResult('Copy failed: select the text and copy it by hand.');
    }
  }

  return (
    <span className="copy">
      <button type="button" className="button-secondary" onClick={copy} data-testid={testId}>
        {label}
      </button>
      <span className="copy-result" role="status">
        {result}
      </span>
    </span>
  );
}
