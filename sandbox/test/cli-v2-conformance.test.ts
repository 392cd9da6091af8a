import { describeCliConformance } from './helpers/cli-scenarios.js';

// AWS CLI v2: Debian's awscli at /usr/bin/aws (2.9).
describeCliConformance(2);
