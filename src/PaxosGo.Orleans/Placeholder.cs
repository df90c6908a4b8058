namespace PaxosGo.Orleans;
