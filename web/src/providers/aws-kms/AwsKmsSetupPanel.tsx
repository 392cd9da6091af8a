import { useEffect, useState } from 'react';
import type { AwsKmsSetup } from '../../api/api-types';
import { useSession } from '../../auth/session-context';
import { CopyButton } from '../../components/CopyButton';
import { ErrorNotice } from '../../components/ErrorNotice';

export interface SetupState {
  data: AwsKmsSetup | null;
  error: unknown;
}

/** Loads the platform principal ARN, setup command and script details for a company. */
export function useAwsKmsSetup(companyId: string): SetupState {
  const { api } = useSession();
  const [state, setState] = useState<SetupState>({ data: null, error: null });

  useEffect(() => {
    let cancelled = false;
    api
      .get<AwsKmsSetup>(`/api/companies/${encodeURIComponent(companyId)}/key-management/aws-kms/setup`)
      .then((data) => !cancelled && setState({ data, error: null }))
      .catch((error: unknown) => !cancelled && setState({ data: null, error }));
    return () => {
      cancelled = true;
    };
  }, [api, companyId]);

  return state;
}

export function AwsKmsSetupPanel({ setup }: { setup: SetupState }) {
  if (setup.error) return <ErrorNotice error={setup.error} testId="aws-setup-error" />;
  if (!setup.data) return <p role="status">Loading the AWS setup details…</p>;
  const { platformPrincipalArn, setupCommand, script } = setup.data;

  return (
    <section className="setup-panel" aria-labelledby="aws-setup-heading" data-testid="aws-setup">
      <h3 id="aws-setup-heading">Set up AWS</h3>
      <p>
        Your AWS admin runs the setup script in AWS CloudShell, in the region where the key should live. It
        creates the KMS key and the IAM role, and prints the four values to paste below.
      </p>

      <div className="copy-row">
        <span className="copy-label" id="platform-principal-label">
          CyberSentriq platform principal ARN
        </span>
        <code className="copy-value" data-testid="platform-principal-arn">
          {platformPrincipalArn}
        </code>
        <CopyButton value={platformPrincipalArn} label="Copy principal ARN" testId="copy-principal-arn" />
      </div>

      <div className="copy-row">
        <span className="copy-label" id="setup-command-label">
          Setup command
        </span>
        <pre className="copy-value" data-testid="setup-command">
          {setupCommand}
        </pre>
        <CopyButton value={setupCommand} label="Copy setup command" testId="copy-setup-command" />
      </div>
      <p className="hint">
        Before running it, upload the script to CloudShell (Actions, Upload file) and run{' '}
        <code>chmod +x {script.fileName}</code>. To reuse an existing key, add <code>--key-id</code> with its
        alias or ARN.
      </p>

      <p>
        <a href={script.downloadUrl} download={script.fileName} data-testid="script-download">
          Download {script.fileName}
        </a>
      </p>
      <div className="copy-row">
        <span className="copy-label" id="script-sha-label">
          SHA-256
        </span>
        <code className="copy-value" data-testid="script-sha256">
          {script.sha256}
        </code>
        <CopyButton value={script.sha256} label="Copy SHA-256" testId="copy-script-sha256" />
      </div>
      <p className="hint">
        Compare it with the output of <code>sha256sum {script.fileName}</code> before running the script.
      </p>
    </section>
  );
}
