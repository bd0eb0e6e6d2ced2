package cli

import (
	"os"

	"github.com/alecthomas/kingpin/v2"

	"github.com/touchprobe/touchprobe/internal/shard"
)

// shardFlags are --shard.count and --shard.index.
type shardFlags struct {
	count, index         int
	countFlag, indexFlag bool

	// checkCount is check's --shard.count.
	checkCount int
	checkGiven bool
}

func (f *shardFlags) register(cmd *kingpin.CmdClause, countHelp, indexHelp string) {
	cmd.Flag("shard.count", countHelp).Envar(shard.EnvCount).PlaceHolder("N").IsSetByUser(&f.countFlag).IntVar(&f.count)
	cmd.Flag("shard.index", indexHelp).Envar(shard.EnvIndex).PlaceHolder("I").IsSetByUser(&f.indexFlag).IntVar(&f.index)
}

// resolve returns the shard the flags and their environment variables
// name. With fromEnv false (once), the environment counts only when a flag
// is given too, so that running once inside a sharded pod runs everything.
func (f *shardFlags) resolve(fromEnv bool) (shard.Shard, error) {
	countGiven, indexGiven := f.countFlag, f.indexFlag
	if fromEnv || countGiven || indexGiven {
		countGiven = countGiven || os.Getenv(shard.EnvCount) != ""
		indexGiven = indexGiven || os.Getenv(shard.EnvIndex) != ""
	}
	if !countGiven {
		f.count = 1
	}
	if !indexGiven {
		f.index = 0
	}
	return shard.Resolve(f.count, countGiven, f.index, indexGiven, shard.Hostname)
}
