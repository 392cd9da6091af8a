import { describeCliConformance } from './helpers/cli-scenarios.js';

// AWS CLI v1: the `aws` on PATH whose --version is 1.x (preinstalled).
describeCliConformance(1);
