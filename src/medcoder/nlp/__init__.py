"""medcoder.nlp"""
