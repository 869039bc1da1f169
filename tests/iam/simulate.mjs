// Test-time only: evaluates IAM requests with @cloud-copilot/iam-simulate (AGPL; never shipped).
// Reads {"account": "...", "requests": [{"policy", "action", "resource", "context", "resourcePolicy"?, "principal"?}]}
// on stdin (the principal defaults to a role of the account),
// writes [{"result": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error", "errors": ...}] on stdout.
import { runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const { requests, account } = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const results = []
for (const request of requests) {
  const response = await runSimulation(
    {
      identityPolicies: [{ name: 'policy', policy: request.policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
      request: {
        action: request.action,
        principal: request.principal ?? `arn:aws:iam::${account}:role/app`,
        resource: { accountId: account, resource: request.resource },
        contextVariables: request.context
      }
    },
    {}
  )
  if (response.resultType === 'error') {
    results.push({ result: 'Error', errors: response.errors })
  } else {
    results.push({ result: response.overallResult })
  }
}
process.stdout.write(JSON.stringify(results))
