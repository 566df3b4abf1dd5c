"""medcoder.ingest"""
