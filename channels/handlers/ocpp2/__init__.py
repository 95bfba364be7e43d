"""OCPP 2.0.1 and 2.1 in the reference central system.

OCPPChannel serves every version; what 2.x says differently lives here, one job a
module: `stations` (boot and status as the station's rows), `tokens` (idTokenInfo
from the idTag table), `meter` (sampled values as stored and as live events show
them), `transaction_events` (TransactionEvent, applied once per seqNo),
`variables` (NotifyReport and GetVariables results), and `actions` (the channel
methods, as a mixin of OCPPChannel).
"""
