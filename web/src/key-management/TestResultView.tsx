import type { StepStatus, TestResult } from '../api/api-types';

const statusText: Record<StepStatus, string> = { passed: 'Passed', failed: 'Failed', 'not run': 'Not run' };

/** Shows the steps of Test connection or Save and, when one failed, the catalogue message and fix. */
export function TestResultView({ result, action }: { result: TestResult; action: 'test' | 'save' }) {
  return (
    <div className="test-result" data-testid={`${action}-result`}>
      {result.ok ? (
        <p className="notice notice-success" data-testid={`${action}-passed`}>
          {action === 'test'
            ? 'Connection test passed: CyberSentriq can use your role and your key. You can now click Save.'
            : 'Saved. The switch has started: verify each tenant below to finish it.'}
        </p>
      ) : (
        <div className="notice notice-error" data-testid={`${action}-failed`}>
          <p className="notice-title">
            {result.error?.message ?? (action === 'test' ? 'Connection test failed.' : 'Save failed.')}
          </p>
          {result.error?.fix && (
            <p>
              <strong>How to fix: </strong>
              {result.error.fix}
            </p>
          )}
          {result.error?.code && <p className="muted">Error code {result.error.code}</p>}
        </div>
      )}
      <ol className="steps" aria-label={action === 'test' ? 'Connection test steps' : 'Save steps'}>
        {result.steps.map((step) => (
          <li
            key={step.name}
            className={`step step-${step.status.replace(' ', '-')}`}
            data-step-status={step.status}
          >
            <span className="step-status">{statusText[step.status]}</span>
            <span className="step-name">{step.name}</span>
            {step.message && <span className="step-message">{step.message}</span>}
          </li>
        ))}
      </ol>
    </div>
  );
}
