/** A labelled text input of a provider form, with its hint, optional advice and a live error message. */
export interface ProviderTextFieldProps {
  id: string;
  name: string;
  label: string;
  hint: string;
  /** Advice about the current value, shown after the hint. */
  advice?: string | undefined;
  placeholder?: string | undefined;
  /** Renders a password input that browsers do not autofill. */
  secret?: boolean | undefined;
  value: string;
  error?: string | undefined;
  onChange(value: string): void;
  onBlur(): void;
}

export function ProviderTextField(props: ProviderTextFieldProps) {
  const { id, name, label, hint, advice, placeholder, secret, value, error, onChange, onBlur } = props;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <span className="hint" id={hintId}>
        {hint}
        {advice && ` ${advice}`}
      </span>
      <input
        id={id}
        name={name}
        type={secret ? 'password' : 'text'}
        autoComplete={secret ? 'new-password' : 'off'}
        spellCheck={false}
        placeholder={placeholder}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${hintId} ${errorId}` : hintId}
        onChange={(event) => onChange(event.target.value)}
        onBlur={onBlur}
        data-testid={id}
      />
      {/* The live region stays mounted so a new message is announced as the admin types. */}
      <span className="field-error" id={errorId} aria-live="polite" data-testid={errorId}>
        {error}
      </span>
    </div>
  );
}
