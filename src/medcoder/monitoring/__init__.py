"""medcoder.monitoring"""
