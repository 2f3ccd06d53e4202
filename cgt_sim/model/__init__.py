"""The CGT chain, one module per stage; ``world.simulate`` runs one replication."""
