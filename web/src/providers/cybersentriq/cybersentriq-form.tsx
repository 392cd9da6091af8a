import type { ProviderFormDefinition } from '../provider-forms';

function CyberSentriqForm() {
  return (
    <p data-testid="cybersentriq-form">
      CyberSentriq holds the key that protects your company key. There is nothing to configure: Test
      connection checks the platform key, and Save starts the switch back to CyberSentriq-Managed.
    </p>
  );
}

export const cyberSentriqForm: ProviderFormDefinition = {
  type: 'cybersentriq',
  label: 'CyberSentriq-Managed',
  emptyConfig: () => ({}),
  check: () => ({}),
  toRequestConfig: () => ({}),
  Form: CyberSentriqForm,
};
