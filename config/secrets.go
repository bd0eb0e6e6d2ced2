package config

// Secrets holds the values that ${env:NAME} and ${file:/path} filled in, so
// that they can be masked wherever text leaves the agent.
type Secrets struct {
	values []string
}

// Secrets returns the secrets this configuration filled in.
func (c *Config) Secrets() *Secrets {
	if c == nil || c.secrets == nil {
		return &Secrets{}
	}
	return c.secrets
}
